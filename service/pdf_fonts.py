"""Unicode fonts for printed records: the Noto faces that the `manimgx-fonts` packages install, cut down to one
document's characters as small static TrueType files that fpdf2 embeds.

fpdf2 embeds TrueType outlines reliably, but not CFF2 (Noto Sans CJK) nor the weight of a variable font without
instancing the whole file (minutes for CJK). So each face is first subset to the characters the document uses,
then set to its weight, then (CJK) converted to TrueType outlines: well under a second even for CJK, and only
for the faces the text needs. No system font is used, so every machine prints the same document.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.varLib import instancer
from fpdf import FPDF

REGULAR, BOLD = 400, 700


@dataclass(frozen=True)
class Face:
    family: str  # the name fpdf2 knows it by
    package: str
    file: str
    index: int = 0  # the face within a collection (.ttc)
    italic_file: str | None = None

    def path(self, italic: bool = False) -> Path:
        name = self.italic_file if italic and self.italic_file else self.file
        path = Path(str(resources.files(self.package) / name))
        if not path.is_file():
            raise RuntimeError(f"font file {name} missing from the {self.package} package (reinstall the service)")
        return path


# The text face first (Latin, Greek, Cyrillic), then the fallbacks in the order fpdf2 tries them: one face per
# script the text face lacks, symbols, CJK, emoji. The CJK face is the Simplified Chinese one of the collection;
# its Han, kana, hangul and many symbols (✓) serve all of CJK.
TEXT = Face("NotoSans", "manimgx_fonts", "NotoSans[wght].ttf", italic_file="NotoSans-Italic[wght].ttf")
SCRIPTS = ("Hebrew", "Arabic", "Armenian", "Georgian", "Devanagari", "Bengali", "Gujarati", "Gurmukhi", "Oriya",
           "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Khmer", "Myanmar", "Ethiopic")
FALLBACKS = (
    *(Face(f"NotoSans{script}", "manimgx_fonts", f"NotoSans{script}[wght].ttf") for script in SCRIPTS),
    Face("NotoSansSymbols", "manimgx_fonts", "NotoSansSymbols[wght].ttf"),
    Face("NotoSansCJKsc", "manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc", index=2),
    Face("NotoEmoji", "manimgx_fonts", "NotoEmoji[wght].ttf"),
)


@functools.cache
def coverage(face: Face, italic: bool = False) -> frozenset[int]:
    """The code points `face` has a glyph for (read once per process)."""
    font = TTFont(face.path(italic), fontNumber=face.index, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def add_fonts(pdf: FPDF, text_by_style: dict[str, str], directory: Path) -> str:
    """Add to `pdf` the faces `text_by_style` ("" regular, "B" bold, "I" italic -> all text set in it) needs,
    written into `directory` (which must outlive `pdf.output()`), with the fallbacks set. Returns the family
    to `set_font` with."""
    used_fallbacks: list[str] = []
    for style, text in text_by_style.items():
        italic, weight = "I" in style, BOLD if "B" in style else REGULAR
        wanted = {ord(char) for char in text if not char.isspace()} | {ord(" ")}
        _add(pdf, TEXT, style, wanted & coverage(TEXT, italic) | {ord(" ")}, weight, italic, directory)
        missing = wanted - coverage(TEXT, italic)
        for face in FALLBACKS:
            found = missing & coverage(face)
            if found:
                # Fallbacks are upright: none of them has an italic, and a slanted CJK name is no clearer.
                _add(pdf, face, style, found, weight, False, directory)
                if face.family not in used_fallbacks:
                    used_fallbacks.append(face.family)
                missing -= found
    order = [face.family for face in FALLBACKS if face.family in used_fallbacks]
    if order:
        pdf.set_fallback_fonts(order, exact_match=False)
    return TEXT.family


def _add(pdf: FPDF, face: Face, style: str, code_points: set[int], weight: int, italic: bool,
         directory: Path) -> None:
    path = directory / f"{face.family}-{style or 'R'}.ttf"
    static_truetype(face, code_points, weight, italic).save(path)
    pdf.add_font(face.family, style, path)


def static_truetype(face: Face, code_points: set[int], weight: int = REGULAR, italic: bool = False) -> TTFont:
    """`face` cut down to `code_points` (with the glyphs their shaping reaches), at `weight`, in TrueType outlines."""
    font = TTFont(face.path(italic), fontNumber=face.index, lazy=True)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, name_IDs=["*"], name_languages=["*"])
    options.drop_tables += ["BASE", "VORG", "vhea", "vmtx", "DSIG", "STAT", "MVAR"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(code_points))
    subsetter.subset(font)
    if "fvar" in font:
        axis = next(axis for axis in font["fvar"].axes if axis.axisTag == "wght")
        instancer.instantiateVariableFont(font, {"wght": max(axis.minValue, min(axis.maxValue, weight))},
                                          inplace=True, static=True)
    if "CFF " in font or "CFF2" in font:
        _to_truetype_outlines(font)
    return font


def _to_truetype_outlines(font: TTFont) -> None:
    """Replace cubic CFF outlines by quadratic TrueType ones (what fontTools' otf2ttf does), in place."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        # CFF contours run counter-clockwise, TrueType ones clockwise; 1 unit of 1000 is invisible in print.
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    post.glyphOrder = glyph_order
    font.sfntVersion = "\x00\x01\x00\x00"
