"""The ceiling: a bare Flask app served with the same gunicorn settings as Aftercare."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "hello"
