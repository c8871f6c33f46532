"""公民身份号码 (GB 11643-1999): 6-digit area, 8-digit birth date, 3-digit sequence (odd = male), check digit."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def birth_date_of(national_id: str) -> date:
    return date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))


def national_id_errors(value: str) -> list[str]:
    """Every problem with a national ID, in the user's language; empty when it is valid."""
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return [str(_("A national ID has 18 characters: 17 digits and a digit or X."))]
    errors = []
    try:
        birth = birth_date_of(value)
        if not date(1900, 1, 1) <= birth <= date.today():
            errors.append(str(_("The birth date in the national ID is out of range.")))
    except ValueError:
        errors.append(str(_("The birth date in the national ID is not a real date.")))
    if check_digit(value[:17]) != value[17]:
        errors.append(str(_("The check digit of the national ID is wrong.")))
    return errors


def validate_national_id(value: str) -> None:
    if value:
        errors = national_id_errors(value.upper())
        if errors:
            raise ValidationError(errors)
