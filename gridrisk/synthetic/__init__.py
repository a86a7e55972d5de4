"""Synthetic demo counties written as region bundles."""

from gridrisk.synthetic.county import DEMO_END_ON, generate_bundle
from gridrisk.synthetic.scales import SCALES, Scale

__all__ = ["DEMO_END_ON", "SCALES", "Scale", "generate_bundle"]
