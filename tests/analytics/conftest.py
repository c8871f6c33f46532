import shutil

import pytest

from luoshi.analytics import spark as spark_engine


@pytest.fixture(scope="module")
def spark():
    """A local-mode Spark session for the module's tests, stopped after them."""
    if not shutil.which("java"):  # CI installs one (.ci/run); a developer's machine may lack it
        pytest.skip("Spark needs a Java runtime: apt-get install default-jre-headless")
    session = spark_engine.session()
    yield session
    session.stop()
