"""Datasets: the real CDNOW log and the simulated coffee shop. They only produce event logs."""

from .cdnow import load_cdnow
from .shop import ShopSimulation, load_coffee_shop, simulate_shop

__all__ = ["load_cdnow", "simulate_shop", "load_coffee_shop", "ShopSimulation"]
