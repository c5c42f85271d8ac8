"""The kept CSV layouts: least recently used first out, and a path's layouts found without a look at the others."""

from quality.tabular import csvfile


def _layout(size: int) -> csvfile.CsvLayout:
    return csvfile.CsvLayout("utf-8", "utf-8", ",", ["a"], 0, [], 0, 2, size, size)


def test_a_paths_layouts_follow_what_is_kept():
    kept = csvfile._Layouts(3)
    kept.put(("/a", 1, 0, 0, None, "csv"), _layout(1))
    kept.put(("/a", 1, 0, 0, "gbk", "csv"), _layout(1))
    kept.put(("/b", 2, 0, 0, None, "csv"), _layout(2))
    assert [key[4] for key, _ in kept.of_path("/a")] == [None, "gbk"]
    assert kept.get(("/a", 1, 0, 0, None, "csv")) is not None  # now the most recently used
    kept.put(("/c", 3, 0, 0, None, "csv"), _layout(3))  # the least recently used (/a gbk) goes
    assert [key[4] for key, _ in kept.of_path("/a")] == [None]
    kept.put(("/d", 4, 0, 0, None, "csv"), _layout(4))  # then /b, the path forgotten with its last layout
    assert kept.of_path("/b") == [] and "/b" not in kept._by_path
    assert len(kept) == 3
    kept.put(("/d", 4, 0, 0, None, "csv"), _layout(4))  # put again: one key, not two
    assert len(kept.of_path("/d")) == 1
    kept.clear()
    assert len(kept) == 0 and kept.of_path("/a") == []


def test_kept_layouts_are_those_of_the_path_asked(tmp_path):
    csvfile._LAYOUTS.clear()
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text("a,b\n1,2\n")
    two.write_text("x;y\n3;4\n")
    csvfile.csv_layout(str(one), None, "csv")
    csvfile.csv_layout(str(two), None, "csv")
    assert [doc["layout"]["header"] for doc in csvfile.kept_layouts(str(one))] == [["a", "b"]]
    assert [doc["layout"]["delimiter"] for doc in csvfile.kept_layouts(str(two))] == [";"]
    csvfile._LAYOUTS.clear()
