"""MXNet's reshape codes, shared by ``NDArray.reshape`` and the ``Reshape`` operator.

0 copies the input dimension, -1 infers one dimension, -2 copies all remaining dimensions,
-3 merges two consecutive dimensions, -4 splits one dimension into the next two values
(one of which may be -1).  ``reverse=True`` applies the codes from the right.
"""
from ..base import MXNetError


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def infer_reshape(src, target, reverse=False, where="reshape"):
    try:
        src, target = tuple(src), tuple(int(t) for t in target)
    except (TypeError, ValueError, OverflowError):
        raise MXNetError(f"{where}: shape must be a tuple of integers, got {target!r}") from None
    if reverse:
        out = infer_reshape(src[::-1], _reverse_codes(target), False, where)
        return out[::-1]
    out, infer_at, i, j = [], None, 0, 0
    while j < len(target):
        code = target[j]
        if code > 0:
            out.append(code)
            i += 1
        elif code == 0:
            if i >= len(src):
                raise MXNetError(f"{where}: code 0 at position {j} has no input dimension to copy")
            out.append(src[i])
            i += 1
        elif code == -1:
            if infer_at is not None:
                raise MXNetError(f"{where}: more than one -1 in shape {target}")
            infer_at = len(out)
            out.append(-1)
            i += 1
        elif code == -2:
            out.extend(src[i:])
            i = len(src)
        elif code == -3:
            if i + 1 >= len(src):
                raise MXNetError(f"{where}: code -3 needs two input dimensions at position {j}")
            out.append(src[i] * src[i + 1])
            i += 2
        elif code == -4:
            if j + 2 >= len(target) or i >= len(src):
                raise MXNetError(f"{where}: code -4 needs two values after it in {target}")
            d1, d2 = target[j + 1], target[j + 2]
            whole = src[i]
            if d1 == -1 and d2 == -1:
                raise MXNetError(f"{where}: code -4 cannot split into -1 and -1")
            if d1 == -1:
                d1 = whole // d2 if d2 else 0
            if d2 == -1:
                d2 = whole // d1 if d1 else 0
            if d1 * d2 != whole:
                raise MXNetError(f"{where}: cannot split dimension {whole} into {d1} x {d2}")
            out.extend([d1, d2])
            i += 1
            j += 2
        else:
            raise MXNetError(f"{where}: invalid shape code {code} in {target}")
        j += 1
    total = _prod(src)
    if infer_at is not None:
        known = _prod(d for d in out if d != -1)
        if known == 0 or total % known:
            raise MXNetError(f"{where}: cannot reshape array of shape {src} into {target}")
        out[infer_at] = total // known
    if _prod(out) != total:
        raise MXNetError(f"{where}: cannot reshape array of shape {src} into {tuple(out)} "
                         f"(size {total} vs {_prod(out)})")
    return tuple(out)


def _reverse_codes(target):
    """Reverse a code list keeping each -4's two values after it."""
    groups, j = [], 0
    while j < len(target):
        if target[j] == -4:
            groups.append([-4, target[j + 2], target[j + 1]] if j + 2 < len(target) else list(target[j:]))
            j += 3
        else:
            groups.append([target[j]])
            j += 1
    return tuple(x for g in groups[::-1] for x in g)
