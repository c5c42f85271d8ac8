"""Views of dataset rows (catalog_schema.rowviews): what the listings and package_search read instead of ORM
objects, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from catalog_schema import rowviews
from catalog_schema.models import Dataset, Distribution, Publisher
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record


@pytest.fixture
def three(session):
    ids = []
    for k, pub in enumerate(({"slug": "roads", "name": {"en": "Roads", "zh": "公路局"}}, None,
                             {"slug": "roads", "name": {"en": "Roads"}})):
        rec = new_record(slug=f"ds-{k}", title={"en": f"Data {k}"}, publisher=pub,
                         distributions=[new_distribution(download_url=f"http://127.0.0.1:9/{k}-{n}.csv",
                                                         format=f"F{n}") for n in range(3)])
        ids.append(save_record(session, rec)[0].id)
    session.commit()
    first = session.get(Dataset, ids[0])
    # positions out of insertion order: a view lists them as Dataset.distributions does, by position
    for position, dist in zip((2, 0, 1), first.distributions, strict=True):
        session.execute(update(Distribution).where(Distribution.id == dist.id).values(position=position))
    session.commit()
    session.expunge_all()
    return ids


def test_every_column_and_the_orm_publisher(session, three):
    views = rowviews.datasets_by_ids(session, [three[2], "missing", three[0], three[1]])
    assert [v.id for v in views] == [three[2], three[0], three[1]]
    for view in views:
        ds = session.get(Dataset, view.id)
        for attr in Dataset.__mapper__.column_attrs:
            assert getattr(view, attr.key) == getattr(ds, attr.key), attr.key
        assert [d.id for d in view.distributions] == [d.id for d in ds.distributions]
        assert [d.format for d in view.distributions] == [d.format for d in ds.distributions]
        assert view.publisher is ds.publisher  # the session's own Publisher (None for ds-1)
    assert views[1].publisher.slug == "roads" and views[2].publisher is None
    assert [d.position for d in views[1].distributions] == [0, 1, 2]
    assert rowviews.datasets_by_ids(session, []) == []


def test_only_the_columns_asked_for(session, three):
    views = rowviews.datasets_by_ids(session, three, (Dataset.title,), (Distribution.format,),
                                     (Publisher.slug, Publisher.name))
    first = views[0]
    assert first.title == {"en": "Data 0"} and first.publisher_id is not None
    assert {"id", "dataset_id", "position", "format"} == set(vars(first.distributions[0]))
    assert vars(first.publisher) == {"id": first.publisher_id, "slug": "roads",
                                     "name": session.get(Publisher, first.publisher_id).name}
    assert views[1].publisher is None
    assert views[2].publisher is first.publisher  # one view a publisher
    with pytest.raises(AttributeError, match="'description' was not read into this view"):
        _ = first.description
    assert not hasattr(first.distributions[0], "pii")


def test_a_publishers_parent_read_as_a_view_of_its_slug(session, three):
    """Publisher.parent among the publisher columns: the parent's slug read by a join, as `pub.parent.slug` reads
    it from the ORM (catalog_schema.store.publisher_to_agent), and None without a parent."""
    from catalog_schema.store import publisher_to_agent

    ministry = Publisher(slug="ministry", name={"en": "Ministry"})
    session.add(ministry)
    session.flush()
    roads = session.get(Dataset, three[0]).publisher
    roads.parent_id = ministry.id
    session.commit()
    columns = (Publisher.slug, Publisher.name, Publisher.uri, Publisher.homepage, Publisher.email, Publisher.extras,
               Publisher.parent)
    views = rowviews.datasets_by_ids(session, three, (Dataset.title,), (Distribution.format,), columns)
    assert views[0].publisher.parent.slug == "ministry" and vars(views[0].publisher.parent) == {"slug": "ministry"}
    assert publisher_to_agent(views[0].publisher) == publisher_to_agent(session.get(Dataset, three[0]).publisher)
    assert publisher_to_agent(views[0].publisher)["parent"] == "ministry"
    ministry.parent_id = None
    roads.parent_id = None
    session.commit()
    views = rowviews.datasets_by_ids(session, three, (Dataset.title,), (Distribution.format,), columns)
    assert views[0].publisher.parent is None and publisher_to_agent(views[0].publisher)["parent"] is None


def test_a_template_that_asks_for_a_column_not_read_fails_loudly(session, three):
    """Jinja turns an AttributeError into an empty value: a view raises MissingColumn instead, so a listing that
    starts showing another column fails in its tests rather than showing nothing."""
    from jinja2 import Environment

    view = rowviews.datasets_by_ids(session, three[:1], (Dataset.title,), (Distribution.format,))[0]
    env = Environment()
    assert env.from_string("{{ ds.title.en }}: {{ ds.distributions|map(attribute='format')|join(',') }}").render(
        ds=view) == "Data 0: F1,F2,F0"  # by position (the fixture moved them)
    with pytest.raises(rowviews.MissingColumn, match="'description' was not read"):
        env.from_string("{{ ds.description }}").render(ds=view)
    with pytest.raises(rowviews.MissingColumn, match="'pii' was not read"):
        env.from_string("{{ ds.distributions|map(attribute='pii')|list }}").render(ds=view)


def test_any_select_of_columns_read_as_views(session, three):
    from sqlalchemy import select

    stmt = select(Dataset.id, Dataset.slug, Dataset.title).where(Dataset.id.in_(three[:2])).order_by(Dataset.slug)
    views = rowviews.read(session, stmt)
    assert [(v.id, v.slug, v.title) for v in views] == [(three[0], "ds-0", {"en": "Data 0"}),
                                                        (three[1], "ds-1", {"en": "Data 1"})]
    with pytest.raises(AttributeError, match="was not read"):
        getattr(views[0], "description")  # noqa: B009 - the attribute is the point
    assert rowviews.read(session, stmt.where(Dataset.slug == "none")) == []
