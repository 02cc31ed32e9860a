"""The IR: the contract between the pipeline stages."""

from .nodes import Function
from .printer import print_function

Function.__str__ = print_function  # a Function prints as its Wengert list
