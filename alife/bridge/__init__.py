"""Bridge to machine learning: trained nets and HNCAs, mode-connecting paths,
alignment, representation similarity and ensembles (imports torch).

Modules: :mod:`.data` (digits split), :mod:`.models` (MLP, HNCA twin as a
module with parameters), :mod:`.train`, :mod:`.paths`, :mod:`.align`,
:mod:`.similarity`, :mod:`.ensembles`.
"""
