"""Synthetic demo counties written as region bundles."""

from gridrisk.synthetic.county import generate_bundle
from gridrisk.synthetic.scales import SCALES, Scale

__all__ = ["SCALES", "Scale", "generate_bundle"]
