"""(being written)"""

from flask import Blueprint

bp = Blueprint("api_rest", __name__)
