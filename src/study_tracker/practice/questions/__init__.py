"""Practice questions generated for roadmaps and the user's own material.

``sections`` (a document as a tree of sections and sentences, with offsets) -> ``structure``
(questions from headings, definitions, comparisons and lists, no LLM) or ``llm`` (questions
from passages, the reply validated) -> ``support`` (each key point checked against its cited
passage) -> ``dedupe`` (near-duplicates dropped) -> ``queue`` (accept, edit, reject);
``source`` loads the document, ``generate`` runs it all.
"""
