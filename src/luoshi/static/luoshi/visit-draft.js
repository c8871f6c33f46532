/* The draft of a visit, kept on the phone until the visit is recorded: answers and notes in localStorage,
   photos (the original files, with their EXIF time and place) in IndexedDB. A lost connection or a closed tab
   loses nothing; the visit page clears the draft once the server has recorded it. */
(function () {
  var DB = "luoshi-drafts", STORE = "photos";

  function open() {
    return new Promise(function (ok, fail) {
      if (!window.indexedDB) { fail(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () { ok(request.result); };
      request.onerror = function () { fail(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (ok, fail) {
        var tx = db.transaction(STORE, mode), result;
        work(tx.objectStore(STORE), function (value) { result = value; });
        tx.oncomplete = function () { db.close(); ok(result); };
        tx.onerror = function () { db.close(); fail(tx.error); };
      });
    });
  }

  function putPhotos(key, files) {
    return run("readwrite", function (store) { store.put(Array.prototype.slice.call(files), key); });
  }

  function getPhotos(key) {
    return run("readonly", function (store, done) {
      var request = store.get(key);
      request.onsuccess = function () { done(request.result || []); };
    });
  }

  function clear(prefix) {
    try { localStorage.removeItem(prefix); } catch (e) {}
    return run("readwrite", function (store) {
      store.delete(IDBKeyRange.bound(prefix + ":", prefix + ":\uffff"));
    }).catch(function () {});
  }

  function canRestoreFiles() {
    try { return typeof DataTransfer === "function" && !!new DataTransfer().items; } catch (e) { return false; }
  }

  function keepPhotos(form, key) {
    var inputs = form.querySelectorAll("input[type=file][name^=photo-]");
    var restorable = canRestoreFiles();
    inputs.forEach(function (input) {
      var status = document.createElement("span");
      status.className = "meta photo-kept";
      input.insertAdjacentElement("afterend", status);
      function show(count) {
        status.textContent = count ? (form.dataset.keptLabel || "") + " " + count : "";
      }
      var photoKey = key + ":" + input.name;
      input.addEventListener("change", function () {
        putPhotos(photoKey, input.files).then(function () { show(input.files.length); }).catch(function () {});
      });
      if (!restorable) return;
      getPhotos(photoKey).then(function (files) {
        if (!files.length || input.files.length) return;
        var transfer = new DataTransfer();
        files.forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
        show(files.length);
      }).catch(function () {});
    });
    if (!restorable) {
      var hint = form.querySelector(".photo-hint");
      if (hint) hint.hidden = false;
    }
  }

  function keepAnswers(form, key, changed) {
    function fields() {
      return form.querySelectorAll("input[name^=item-], textarea[name^=note-], textarea[name=summary]");
    }
    function save() {
      var data = {};
      fields().forEach(function (el) {
        if (el.type === "radio") { if (el.checked) data[el.name] = el.value; }
        else if (el.value !== "") { data[el.name] = el.value; }
      });
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) {}
    }
    var data = null;
    try { data = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) {}
    if (data) {
      fields().forEach(function (el) {
        if (!(el.name in data)) return;
        if (el.type === "radio") { el.checked = el.value === data[el.name]; } else { el.value = data[el.name]; }
      });
    }
    form.addEventListener("input", function () { save(); changed(); });
    form.addEventListener("change", function () { save(); changed(); });
    form.addEventListener("submit", save);
  }

  window.LuoshiDraft = { keepAnswers: keepAnswers, keepPhotos: keepPhotos, clear: clear };
})();
