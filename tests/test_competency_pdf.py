"""The competency document prints every name and note in its own script: it is the legal 93792 record."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from service import pdf_fonts
from tests import factories
from tests.conftest import NOW
from tests.test_training import session_body

# Written left to right: extracted text reads as written.
LEFT_TO_RIGHT = {
    "Chinese": "王芳 Wang", "Polish": "Łukasiewicz", "Greek": "Παπαδόπουλος", "Cyrillic": "Жанна Иванова",
    "Japanese": "さくら 佐藤", "Korean": "김민준", "German": "Müller-Weiß", "Georgian": "გიორგი", "Armenian": "Արամ",
    "check mark": "✓ done", "emoji": "🏥 ward",
}
# Written right to left, shaped (Arabic letters joined) and laid out in visual order by fpdf2 and HarfBuzz.
RIGHT_TO_LEFT = {"Hebrew": "שלום כהן", "Arabic": "محمد علي"}


def document_text(pdf_bytes: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages)


def competency_pdf(client, clinic, app, patient_name: str, place: str, note: str) -> str:
    patient = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW,
                                     full_name=patient_name)
    body = session_body(place=place, occurred_at=(NOW - timedelta(hours=3)).isoformat())
    body["items"][0]["note"] = note
    signed = client.post(f"/patients/{patient.public_id}/training-sessions", json=body,
                         headers=clinic.headers["trainer"])
    assert signed.status_code == 201, signed.json
    response = client.get(f"/patients/{patient.public_id}/training-sessions/{signed.json['id']}/competency.pdf",
                          headers=clinic.headers["trainer"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return document_text(response.data)


@pytest.mark.parametrize("script", sorted(LEFT_TO_RIGHT))
def test_a_name_in_any_script_prints_as_written_and_never_as_question_marks(script, client, clinic, app):
    name = LEFT_TO_RIGHT[script]
    text = competency_pdf(client, clinic, app, patient_name=name, place=f"Room {name}", note=f"note {name}")
    assert f"Patient: {name}, born" in text
    assert f"Place: Room {name}" in text
    assert f"note: note {name}" in text
    assert "?" not in text


@pytest.mark.parametrize("script", sorted(RIGHT_TO_LEFT))
def test_a_right_to_left_name_prints_in_its_own_letters(script, client, clinic, app):
    name = RIGHT_TO_LEFT[script]
    text = competency_pdf(client, clinic, app, patient_name=name, place="Clinic room 2", note=name)
    # The text layer holds the words in visual order (last word first). Each word reads as written, except that
    # fpdf2 maps the joining glyph of a lam-yeh pair to a control character there (the printed letters are right):
    # so the first word is checked whole, and every letter of the name must be in the text.
    assert name.split()[0] in text, text
    assert all(letter in text for letter in name if not letter.isspace()), text
    assert "?" not in text


def test_every_script_at_once_prints_in_one_document(client, clinic, app):
    everything = " ".join([*LEFT_TO_RIGHT.values()])
    text = competency_pdf(client, clinic, app, patient_name=everything, place=everything, note=everything)
    text = " ".join(text.split())  # long lines wrap: a name may straddle two
    for name in LEFT_TO_RIGHT.values():
        assert text.count(name) >= 3, name
    assert "?" not in text


def test_each_fallback_face_covers_what_the_text_face_lacks():
    text_face = pdf_fonts.coverage(pdf_fonts.TEXT)
    for char in "ŁΠЖß€":
        assert ord(char) in text_face, char
    faces = {face.family: pdf_fonts.coverage(face) for face in pdf_fonts.FALLBACKS}
    assert ord("王") in faces["NotoSansCJKsc"] and ord("✓") in faces["NotoSansCJKsc"]
    assert ord("🏥") in faces["NotoEmoji"]
    assert ord("ש") in faces["NotoSansHebrew"] and ord("م") in faces["NotoSansArabic"]
    assert ord("अ") in faces["NotoSansDevanagari"] and ord("ก") in faces["NotoSansThai"]
    for face in pdf_fonts.FALLBACKS:  # every face is installed where the code looks for it
        assert face.path().is_file(), face


def test_a_cjk_face_is_converted_to_truetype_outlines_cut_to_the_documents_characters():
    face = next(face for face in pdf_fonts.FALLBACKS if face.family == "NotoSansCJKsc")
    font = pdf_fonts.static_truetype(face, {ord("王"), ord("芳")}, pdf_fonts.BOLD)
    assert "glyf" in font and "CFF2" not in font and "fvar" not in font
    assert set(font.getBestCmap()) == {ord("王"), ord("芳")}
    assert font["glyf"][font.getBestCmap()[ord("王")]].numberOfContours > 0
