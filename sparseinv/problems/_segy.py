"""A reader for SEG-Y files with fixed-length traces (private).

SEG-Y (rev 0/1/2: SEG Technical Standards Committee, 2017) is a 3200-byte textual
header, a 400-byte binary header, optional extended textual headers, then traces of a
240-byte header and the samples. This reader covers what a field data loader needs:
big- or little-endian files whose traces all have the binary header's sample count, in
IBM or IEEE floating point or in 8/16/32-bit integers. For anything else (variable
trace lengths, trace header extensions, writing) use segyio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

#: data sample format code (binary header bytes 3225-3226) -> dtype without byte order;
#: code 1 is 4-byte IBM floating point, read as unsigned words and converted
_FORMATS = {1: "u4", 2: "i4", 3: "i2", 5: "f4", 6: "f8", 8: "i1"}

#: trace header fields read: name -> (first byte, 1-based as in the standard; size in bytes)
TRACE_FIELDS = {
    "trace_sequence_line": (1, 4),
    "field_record": (9, 4),
    "cdp": (21, 4),
    "offset": (37, 4),
    "coordinate_scalar": (71, 2),
    "source_x": (73, 4),
    "source_y": (77, 4),
    "group_x": (81, 4),
    "group_y": (85, 4),
    "n_samples": (115, 2),
    "sample_interval_us": (117, 2),
    "cdp_x": (181, 4),
    "cdp_y": (185, 4),
    "inline": (189, 4),
    "crossline": (193, 4),
}


@dataclass(frozen=True)
class SegyFile:
    """The content of a SEG-Y file: headers and samples.

    Attributes
    ----------
    text_header : str
        The 3200-byte textual header, decoded (EBCDIC or ASCII).
    sample_interval_us : int
        Sample interval in microseconds (binary header bytes 3217-3218).
    format_code : int
        Data sample format code (bytes 3225-3226).
    traces : ndarray
        ``(n_traces, n_samples)`` float64 samples in file order.
    headers : dict of str to ndarray
        The :data:`TRACE_FIELDS` of every trace, one int64 array each.
    """

    text_header: str
    sample_interval_us: int
    format_code: int
    traces: NDArray[np.float64]
    headers: dict[str, NDArray[np.int64]]


def read_segy(path: str | Path) -> SegyFile:
    """Read a SEG-Y file whose traces all have the sample count of its binary header.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    SegyFile

    Raises
    ------
    ValueError
        When the file is shorter than its headers, its format code is not one of
        1, 2, 3, 5, 6, 8, or its size is not a whole number of fixed-length traces.
    """
    raw = Path(path).read_bytes()
    if len(raw) < 3600:
        raise ValueError(f"{path} is not a SEG-Y file: {len(raw)} bytes, fewer than 3600")
    order = _byte_order(raw)
    binary = raw[3200:3600]

    def word(first: int, size: int, block: bytes = binary, base: int = 3201) -> int:
        lo = first - base
        return int.from_bytes(
            block[lo : lo + size], "big" if order == ">" else "little", signed=True
        )

    interval, n_samples, code = word(3217, 2), word(3221, 2), word(3225, 2)
    if code not in _FORMATS:
        raise ValueError(
            f"{path}: data sample format code {code} is not supported; this reader reads "
            "1 (IBM float), 2 (int32), 3 (int16), 5 (IEEE float32), 6 (float64), 8 (int8)"
        )
    n_extended = max(0, word(3505, 2))
    start = 3600 + 3200 * n_extended
    dtype = np.dtype(order + _FORMATS[code])
    trace_bytes = 240 + n_samples * dtype.itemsize
    body = len(raw) - start
    if n_samples <= 0 or body < 0 or body % trace_bytes:
        raise ValueError(
            f"{path}: {body} bytes after the headers are not a whole number of traces of "
            f"{n_samples} samples ({trace_bytes} bytes each); variable-length traces need segyio"
        )
    block = np.frombuffer(raw, np.uint8, body, start).reshape(-1, trace_bytes)
    samples = np.ascontiguousarray(block[:, 240:]).view(dtype)
    traces = _ibm_to_float(samples) if code == 1 else samples.astype(np.float64)
    headers = {
        name: _field(block[:, :240], first, size, order)
        for name, (first, size) in TRACE_FIELDS.items()
    }
    return SegyFile(
        text_header=_decode_text(raw[:3200]),
        sample_interval_us=interval,
        format_code=code,
        traces=traces,
        headers=headers,
    )


def _byte_order(raw: bytes) -> str:
    """``">"`` unless the format code reads sensibly only as little-endian."""
    big = int.from_bytes(raw[3224:3226], "big")
    little = int.from_bytes(raw[3224:3226], "little")
    return "<" if big not in _FORMATS and little in _FORMATS else ">"


def _field(headers: NDArray[np.uint8], first: int, size: int, order: str) -> NDArray[np.int64]:
    column = np.ascontiguousarray(headers[:, first - 1 : first - 1 + size])
    return column.view(np.dtype(f"{order}i{size}")).ravel().astype(np.int64)


def _ibm_to_float(words: NDArray) -> NDArray[np.float64]:
    r"""IBM System/360 single precision to float64.

    A word is sign (1 bit), base-16 exponent biased by 64 (7 bits) and a 24-bit
    fraction: :math:`(-1)^s \, 0.f \cdot 16^{e - 64}`.
    """
    u = words.astype(np.uint32)
    sign = np.where(u >> 31, -1.0, 1.0)
    exponent = ((u >> 24) & 0x7F).astype(np.int64) - 64
    fraction = (u & 0x00FFFFFF).astype(np.float64) / float(1 << 24)
    return sign * fraction * np.power(16.0, exponent)


def _decode_text(block: bytes) -> str:
    """EBCDIC (code page 500) or ASCII, whichever the header starts with ('C' in both)."""
    ebcdic = block[:1] == b"\xc3"
    return block.decode("cp500" if ebcdic else "ascii", errors="replace")
