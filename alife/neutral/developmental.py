"""Exhaustive developmental GP maps: every lattice HNCA genotype, with its pattern.

:func:`alife.neutral.exhaustive` needs only a phenotype id per genotype.  A
developmental map has two more things an analysis wants from the same
enumeration: *which* undefined pattern a genotype develops (all cells 0, or
all cells 1: both are the undefined phenotype ``-1``) and the pattern of
every phenotype (for Hamming distances between phenotypes, pictures).
:class:`PatternRecorder` wraps a lattice :class:`~alife.gpmap.hnca.HNCAMap`
and records both while :func:`exhaustive` enumerates it::

    rec = PatternRecorder(hmap)
    nets = exhaustive(rec)            # ids identical to hmap.phenotypes
    rec.undefined_kind                # (K**L,) int8: 0 defined, 1 all-0, 2 all-1
    rec.patterns(nets.phenotype_ids)  # (P, N, N) bool

It is also faster than the map itself on a whole space: it develops with
:func:`alife.nca.develop` and hashes each *distinct* pattern once over the
whole enumeration (:func:`alife.nca.phenotype.phenotype_ids`, so the ids
are the map's own, bit for bit), where the map hashes every genotype's
pattern; on the flat NCA at base 8 the hashing was about a third of the
map's time.
"""
from __future__ import annotations

import numpy as np

from alife.gpmap.base import GPMap
from alife.gpmap.hnca import HNCAMap
from alife.nca import develop
from alife.nca.phenotype import phenotype_ids

__all__ = ["PatternRecorder", "UNDEFINED_ZERO", "UNDEFINED_ONE"]

#: :attr:`PatternRecorder.undefined_kind` codes of the two degenerate patterns.
UNDEFINED_ZERO, UNDEFINED_ONE = 1, 2


class PatternRecorder(GPMap):
    """A lattice HNCA map that records patterns and degenerate kinds.

    Parameters
    ----------
    hmap : HNCAMap on a lattice (``lattice_k=K``), without a task or with a
        ``final``-mode task (the phenotype is then the final pattern either
        way)

    Attributes
    ----------
    space : the map's DiscreteSpace
    undefined_kind : (K**L,) int8 or None, per rank of every genotype seen:
        0 defined (or not seen), :data:`UNDEFINED_ZERO` all cells 0,
        :data:`UNDEFINED_ONE` all cells 1; allocated on the first call for an
        enumerable space
    n_patterns : int, distinct patterns seen (degenerate ones included)
    """

    def __init__(self, hmap: HNCAMap):
        super().__init__()
        if not isinstance(hmap, HNCAMap) or not hmap.lattice:
            raise ValueError("PatternRecorder needs a lattice HNCAMap; build it with "
                             "make('hnca', spec=..., lattice_k=K)")
        if hmap.task is not None and hmap.task.mode != "final":
            raise ValueError(f"PatternRecorder records final patterns; the map's task is in "
                             f"mode {hmap.task.mode!r} (use a map without a task)")
        self.hmap = hmap
        self.space = hmap.space
        self.name = hmap.name
        self.side = hmap.spec.sizes[hmap.spec.output_level]
        self._nbytes = -(-self.side * self.side // 8)
        self._keys = np.zeros(0, np.uint64)          # sorted (small patterns)
        self._key_ids = np.zeros(0, np.int64)
        self._by_id_order: np.ndarray | None = None  # small: key positions sorted by id
        self._dict: dict[bytes, int] = {}            # larger patterns
        self._by_id: dict[int, bytes] = {}
        self.undefined_kind: np.ndarray | None = None

    @property
    def n_patterns(self) -> int:
        return int(self._keys.size) + len(self._dict)

    def label(self, pid: int) -> str:
        return self.hmap.label(pid)

    def phenotypes(self, genotypes) -> np.ndarray:
        """(n,) int64 ids of the developed patterns (-1 degenerate), the
        map's own ids; records every genotype's degenerate kind."""
        return super().phenotypes(self.hmap.check(genotypes))

    # ------------------------------------------------------------------ internals
    def _develop(self, letters: np.ndarray) -> np.ndarray:
        G = self.hmap.to_genomes(letters)
        out = np.empty((G.shape[0], self._nbytes), np.uint8)
        for a in range(0, G.shape[0], self.hmap.chunk):
            b = min(G.shape[0], a + self.hmap.chunk)
            ph = develop(self.hmap.spec, G[a:b], steps=self.hmap.steps,
                         method=self.hmap.method).phenotypes
            out[a:b] = np.packbits(ph.reshape(b - a, -1), axis=1)
        return out

    def _unpack(self, packed: np.ndarray) -> np.ndarray:
        n = self.side * self.side
        return np.unpackbits(packed, axis=1, count=n).astype(bool).reshape(-1, self.side,
                                                                           self.side)

    def _ids_small(self, packed: np.ndarray) -> np.ndarray:
        """Ids of packed patterns of at most 8 bytes, through a sorted key table."""
        pad = np.zeros((packed.shape[0], 8), np.uint8)
        pad[:, :packed.shape[1]] = packed
        keys = pad.view(np.uint64).ravel()
        ukeys, inv = np.unique(keys, return_inverse=True)
        if self._keys.size:
            j = np.minimum(np.searchsorted(self._keys, ukeys), self._keys.size - 1)
            found = self._keys[j] == ukeys
            uids = np.where(found, self._key_ids[j], 0)
        else:
            found = np.zeros(ukeys.size, bool)
            uids = np.zeros(ukeys.size, np.int64)
        new = ~found
        if new.any():
            newk = ukeys[new]
            rows = newk.view(np.uint8).reshape(-1, 8)[:, :packed.shape[1]]
            nid = phenotype_ids(self._unpack(np.ascontiguousarray(rows)))
            uids[new] = nid
            self._by_id_order = None
            k = np.concatenate([self._keys, newk])
            order = np.argsort(k, kind="stable")
            self._keys = k[order]
            self._key_ids = np.concatenate([self._key_ids, nid])[order]
        return uids[inv]

    def _ids_large(self, packed: np.ndarray) -> np.ndarray:
        rows = [r.tobytes() for r in packed]
        new = sorted({r for r in rows if r not in self._dict})
        if new:
            arr = np.frombuffer(b"".join(new), np.uint8).reshape(len(new), -1)
            nid = phenotype_ids(self._unpack(arr))
            self._dict.update(zip(new, nid.tolist()))
            self._by_id.update(zip(nid.tolist(), new))
        return np.fromiter((self._dict[r] for r in rows), np.int64, len(rows))

    def _phenotypes(self, letters: np.ndarray) -> np.ndarray:
        packed = self._develop(letters)
        ids = self._ids_small(packed) if self._nbytes <= 8 else self._ids_large(packed)
        n = self.side * self.side
        ones = np.unpackbits(packed, axis=1, count=n).sum(axis=1)
        kind = np.where(ones == 0, UNDEFINED_ZERO, np.where(ones == n, UNDEFINED_ONE, 0))
        if self.space.enumerable:
            if self.undefined_kind is None:
                self.undefined_kind = np.zeros(self.space.size, np.int8)
            self.undefined_kind[self.space.rank(letters)] = kind
        return np.where(kind > 0, -1, ids)

    # ------------------------------------------------------------------ patterns
    def patterns(self, ids) -> np.ndarray:
        """(n, N, N) bool patterns of phenotype ids seen so far (KeyError otherwise)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        if self._nbytes <= 8:
            if self._by_id_order is None:
                self._by_id_order = np.argsort(self._key_ids, kind="stable")
            sid = self._key_ids[self._by_id_order]
            j = np.minimum(np.searchsorted(sid, ids), max(sid.size - 1, 0))
            bad = (sid[j] != ids) if sid.size else np.ones(ids.size, bool)
            if bad.any():
                raise KeyError(f"phenotype {ids[bad][0]} has not been developed by this recorder")
            keys = self._keys[self._by_id_order[j]]
            rows = keys.view(np.uint8).reshape(-1, 8)[:, :self._nbytes]
            return self._unpack(np.ascontiguousarray(rows))
        try:
            rows = [self._by_id[int(i)] for i in ids]
        except KeyError as e:
            raise KeyError(f"phenotype {e.args[0]} has not been developed by this recorder") \
                from None
        if not rows:
            return np.zeros((0, self.side, self.side), bool)
        return self._unpack(np.frombuffer(b"".join(rows), np.uint8).reshape(len(rows), -1))
