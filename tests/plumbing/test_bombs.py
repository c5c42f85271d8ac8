"""The zip-bomb rule, on the sizes an archive declares."""

from __future__ import annotations

from plumbing.bombs import BOMB_MIN_BYTES, BOMB_RATIO, BOMB_TOTAL_BYTES, archive_bomb, member_bomb, total_bomb


def test_a_large_member_with_an_absurd_ratio_is_a_bomb():
    found = member_bomb("x.csv", BOMB_MIN_BYTES, BOMB_MIN_BYTES // BOMB_RATIO)
    assert found == {"member": "x.csv", "uncompressed": BOMB_MIN_BYTES,
                     "compressed": BOMB_MIN_BYTES // BOMB_RATIO, "ratio": BOMB_RATIO}


def test_below_either_limit_or_with_unknown_sizes_is_not():
    assert member_bomb("small.csv", BOMB_MIN_BYTES - 1, 1) is None  # tiny compressed, but small
    assert member_bomb("big.csv", BOMB_MIN_BYTES * 2, BOMB_MIN_BYTES) is None  # large, ratio 2
    assert member_bomb("x", None, 10) is None and member_bomb("x", 10, None) is None
    assert member_bomb("empty", BOMB_MIN_BYTES * 200, 0)["ratio"] == BOMB_MIN_BYTES * 200  # compressed 0 counts as 1


def test_members_together_can_be_the_bomb():
    each = BOMB_MIN_BYTES - 1  # each below the member rule
    members = [(f"m{i}.csv", each, each // 2) for i in range(BOMB_TOTAL_BYTES // each + 1)]
    found = archive_bomb(members)
    assert found is not None and found["member"] == f"(all {len(members)} members)"
    assert found["uncompressed"] == each * len(members)
    assert total_bomb(3, BOMB_TOTAL_BYTES - 1, 1) is None


def test_the_first_bomb_member_is_named():
    members = [("ok.csv", 1000, 500), ("bomb.csv", BOMB_MIN_BYTES * 10, 1000), ("later.csv", BOMB_MIN_BYTES, 1)]
    assert archive_bomb(members)["member"] == "bomb.csv"
    assert archive_bomb([("ok.csv", 1000, 500)]) is None
