from kolctl.cli import app

app(prog_name="kol")
