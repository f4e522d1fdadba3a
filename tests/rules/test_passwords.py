"""The password policy (NIST SP 800-63B): long enough, and not a password an attacker tries first."""

import pytest

from service.rules.passwords import MIN_LENGTH, PUBLISHED, password_problems

SHORT = f"Use at least {MIN_LENGTH} characters (a few unrelated words make a good password)."
REPEATED = "It is one character repeated."
PATTERN = "It is a short sequence of characters repeated."
RUN = "It is a run of consecutive characters (like 12345 or abcde)."
COMMON = "It is a commonly used password: it appears in lists of breached passwords."
WORD = "It is a single dictionary word or name."
PUBLISHED_MESSAGE = "It has been published (in this service's documentation or elsewhere), so attackers know it."
EMAIL = "It contains your e-mail address."
NAME = "It contains your name."


@pytest.mark.parametrize(("password", "problems"), [
    ("lantern orbit meadow 2049", []),
    ("a long enough password", []),
    ("Tr0ub4dor&3 and a spare", []),
    ("zq8-Xv1!mlp3Tr", []),
    ("chocolate-cake-at-noon", []),
    ("短い", [SHORT]),
    ("eleven char", [SHORT]),
    ("x" * 2000, ["Use at most 1024 characters.", REPEATED]),
])
def test_a_long_password_that_is_nobodys_first_guess_is_accepted_and_length_counts(password, problems):
    assert password_problems(password, email="pat.jones@demo.clinic", full_name="Pat Jones") == problems


@pytest.mark.parametrize("password", [" " * 12, "a" * 12, "ZZZZZZZZZZZZZZ", "\u00e9" * 12, "e\u0301" * 6 + "é" * 6])
def test_a_password_of_one_repeated_character_is_refused(password):
    assert REPEATED in password_problems(password)


@pytest.mark.parametrize("password", ["abcabcabcabc", "1212121212121212", "xyz!xyz!xyz!"])
def test_a_short_piece_repeated_is_refused(password):
    assert password_problems(password) == [PATTERN]


@pytest.mark.parametrize("password", ["123456789012", "abcdefghijklm", "9876543210987", "ZYXWVUTSRQPO"])
def test_a_run_of_consecutive_characters_is_refused(password):
    assert RUN in password_problems(password)


@pytest.mark.parametrize("password", [
    "password1234", "Password1234", "PASSWORD!!!!", "P@ssw0rd!2024", "p a s s w o r d 1 2", "iloveyou1234",
    "qwertyuiop[]", "1q2w3e4r5t6y", "monkey123456", "sunshine2024!", "passwordpassword", "trustno1trustno1",
    "letmein!letmein!",
])
def test_a_breached_or_common_password_is_refused_however_it_is_dressed_up(password):
    assert COMMON in password_problems(password)


@pytest.mark.parametrize("password", ["international", "Responsibilities", "2024-hospital-2024", "Hollingsworth"])
def test_a_single_dictionary_word_or_name_is_refused(password):
    assert password_problems(password) == [WORD]


@pytest.mark.parametrize("password", ["demo-password-1", "Demo-Password-1", "correct horse battery staple",
                                      "CorrectHorseBatteryStaple"])
def test_a_published_password_is_refused(password):
    assert password_problems(password) == [PUBLISHED_MESSAGE]


def test_the_demo_clinics_password_is_on_the_published_list():
    from service import demo

    assert demo.PASSWORD in PUBLISHED


@pytest.mark.parametrize(("password", "email", "full_name", "problems"), [
    ("pat.jones is my login", "pat.jones@demo.clinic", "Someone Else", [EMAIL]),
    ("patjones-quartz-river", "pat.jones@demo.clinic", "Someone Else", [EMAIL]),
    ("jones family summer 2024", "pat.jones@demo.clinic", "Pat Jones", [EMAIL, NAME]),
    ("PatJones!!2024-quartz", "x@y.example", "Pat Jones", [NAME]),
    ("ana rivera orbit 2049", "dr.rivera@demo.clinic", "Dr. Ana Rivera", [EMAIL, NAME]),
    ("Łukasiewicz-orbit-2049", "logic@uni.example", "Jan Łukasiewicz", [NAME]),
    # Pieces under four letters are too common inside ordinary words to refuse on.
    ("a patient meadow of ants", "pat.an@clinic.example", "Pat An", []),
    ("a long enough password", "a@clinic.test", "A", []),
])
def test_a_password_containing_the_accounts_email_or_name_is_refused(password, email, full_name, problems):
    assert password_problems(password, email=email, full_name=full_name) == problems


def test_several_problems_are_all_reported():
    assert password_problems("jones1", email="pat.jones@demo.clinic", full_name="Pat Jones") == [
        SHORT, COMMON, EMAIL, NAME]
