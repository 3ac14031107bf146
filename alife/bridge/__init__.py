"""Bridge to machine learning: trained nets and HNCAs, mode-connecting paths,
alignment, representation similarity and ensembles (imports torch, an
optional extra: ``pip install 'alife-neutral[bridge]'``).

What a notebook imports (``evaluate_path`` and ``compare`` share their
module's name, so they are imported from the module)::

    from alife.bridge import digits_split, train_mlp, LinearPath, model_params, linear_cka
    from alife.bridge.evaluate_path import evaluate_path

    split = digits_split(seed=0)                       # sklearn's digits, a fixed split
    a = train_mlp([64, 32, 10], split, seed=1, epochs=20)
    b = train_mlp([64, 32, 10], split, seed=2, epochs=20)
    line = LinearPath(a, model_params(a), model_params(b))   # any nn.Module
    x, y, xt, yt = split.tensors()
    profile = evaluate_path(line, train=(x, y), test=(xt, yt))
    profile["test_error_barrier"]                      # max error along the line minus the ends

Modules
-------
:mod:`.data` (the digits split), :mod:`.models` (an MLP; the HNCA twin as a
module with parameters), :mod:`.train` (seeded training, checkpoints),
:mod:`.paths` (line, Bezier, PolyChain, AutoNEB for any ``nn.Module``),
:mod:`.evaluate_path` (barriers, length, integrated loss),
:mod:`.align` (weight matching for MLPs and HNCA hidden units),
:mod:`.similarity` (linear CKA, prediction agreement, HNCA state distances),
:mod:`.ensembles` (FGE, SWA, points along a curve), :mod:`.hnca_train` (the
HNCA twin trained by gradient), :mod:`.hnca_sweep` (the 2x2 design on
HNCAs: one pair of evolved or trained genomes per sweep cell), :mod:`.netmap` (a trained net as the GP map
``net``), and the command's :mod:`.config`, :mod:`.run`, :mod:`.plots` and
:mod:`.compare`.

The names below are imported on first use (PEP 562), so ``import
alife.bridge`` is cheap until one of them is touched.
"""
from .._lazy import lazy_exports

#: Exported name -> the submodule defining it.
_HOME = {
    "Split": "data", "digits_split": "data",
    "MLP": "models", "HNCAModel": "models", "SurrogateTwin": "models",
    "train_mlp": "train", "evaluate": "train", "save_checkpoint": "train",
    "load_checkpoint": "train",
    **{name: "paths" for name in ("Path", "LinearPath", "BezierPath", "PolyChainPath",
                                  "train_curve", "AutoNEB", "model_params")},
    **{name: "evaluate_path" for name in ("barrier", "barrier_entezari", "integrated")},
    **{name: "align" for name in ("weight_matching", "permute_mlp", "permute_mlp_params",
                                  "weight_matching_hnca", "permute_hnca_hidden")},
    **{name: "similarity" for name in ("linear_cka", "layer_cka", "hidden_activations",
                                       "prediction_agreement", "hnca_internal_distance",
                                       "hnca_state_cka")},
    **{name: "ensembles" for name in ("fge", "swa", "curve_ensemble", "ensemble_eval")},
    "train_hnca": "hnca_train", "surrogate_loss": "hnca_train", "TrainResult": "hnca_train",
    **{name: "hnca_sweep" for name in ("hnca_pair_cell", "rule_spec", "target_pattern",
                                       "hnca_blocks", "evolve_endpoint", "train_endpoint",
                                       "check_hnca_settings")},
    **{name: "netmap" for name in ("NetMap", "GaussianSpace", "net_robustness")},
    "BridgeConfig": "config", "load_bridge_config": "config", "loads_bridge": "config",
    "run_bridge": "run", "read_bridge": "run", "bridge_summary": "run",
}

__all__ = sorted(_HOME)


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
