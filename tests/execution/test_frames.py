"""Length-prefixed frames: taking whole frames out of a buffer, and reading them from a descriptor."""

from __future__ import annotations

import os

from pytest_recode.execution._frames import FrameReader, frame_end, pop_frame, write_frame


def test_pop_frame_waits_for_the_length_and_then_for_the_body() -> None:
    buffer = bytearray(b"\x00\x00")
    assert (frame_end(buffer), pop_frame(buffer), buffer) == (4, None, bytearray(b"\x00\x00"))
    buffer += b"\x00\x03ab"
    assert (frame_end(buffer), pop_frame(buffer), buffer) == (7, None, bytearray(b"\x00\x00\x00\x03ab"))


def test_pop_frame_takes_one_whole_frame_and_leaves_the_next() -> None:
    buffer = bytearray(b"\x00\x00\x00\x03abc\x00\x00\x00\x00\x00")
    assert pop_frame(buffer) == b"abc" and buffer == bytearray(b"\x00\x00\x00\x00\x00")
    assert pop_frame(buffer) == b"" and buffer == bytearray(b"\x00")


def test_frame_reader_reads_frames_written_in_pieces_then_none_at_the_end() -> None:
    read_end, write_end = os.pipe()
    try:
        write_frame(write_end, {"id": 1})
        os.write(write_end, b"\x00\x00\x00\x02[")  # a frame whose last byte comes later
        reader = FrameReader(read_end)
        assert reader.read() == {"id": 1}
        os.write(write_end, b"]")
        assert reader.read() == []
        os.write(write_end, b"\x00\x00")  # a length cut short by the end of the stream
    finally:
        os.close(write_end)
    try:
        assert reader.read() is None
    finally:
        os.close(read_end)
