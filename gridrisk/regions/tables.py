"""Regions (county → township → village/community) and grid cells, in EPSG:4326."""

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base, in_check
from gridrisk.vocab import RegionLevel


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    households: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)

    __table_args__ = (
        CheckConstraint(in_check("level", RegionLevel), name="level"),
        CheckConstraint("households IS NULL OR households >= 0", name="households"),
        CheckConstraint("code <> ''", name="code"),
        Index("ix_regions_geom", "geom", postgresql_using="gist"),
    )


class Cell(Base):
    __tablename__ = "cells"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)

    __table_args__ = (
        CheckConstraint("code <> ''", name="code"),
        Index("ix_cells_geom", "geom", postgresql_using="gist"),
    )
