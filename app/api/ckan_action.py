"""(being written)"""

from flask import Blueprint

bp = Blueprint("api_ckan_action", __name__)
