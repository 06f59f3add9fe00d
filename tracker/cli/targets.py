"""flask commands: ``targets defaults [--year YYYY] [--overwrite]``,
``targets show [--year YYYY]``."""
import click
from flask.cli import AppGroup

targets_cli = AppGroup("targets", help="Annual targets (年度目标) of the task forces.")


def _year(value):
    from .. import clock
    from ..services import targets
    if value is None:
        return clock.today().year
    errors = {}
    year = targets.check_year(value, errors)
    if year is None:
        raise click.BadParameter(errors["year"], param_hint="--year")
    return year


@targets_cli.command("defaults")
@click.option("--year", help="Target year (default: this year).")
@click.option("--overwrite", is_flag=True, help="Replace targets already set.")
def defaults(year, overwrite):
    """Give every active task force the default targets for the year."""
    from ..domain.errors import ValidationError
    from ..services import targets
    year = _year(year)
    try:
        written = targets.apply_defaults(year, None, overwrite=overwrite,
                                         reason="命令行：应用默认目标")
    except ValidationError as exc:
        raise click.ClickException("；".join(exc.errors.values())) from exc
    click.echo(f"{year} 年：新增 {written} 个目标版本。")


@targets_cli.command("show")
@click.option("--year", help="Target year (default: this year).")
def show(year):
    """Print the current target of every active task force and metric."""
    from ..domain import metrics as M
    from ..domain import money
    from ..services import targets
    year = _year(year)
    for team, current in targets.target_table(year):
        cells = []
        for key, metric in M.METRICS.items():
            row = current.get(key)
            if row is None or row.value is None:
                value = "-"
            else:
                amount = money.to_decimal(row.value) if metric.is_money else int(row.value)
                value = f"{amount}{metric.unit} v{row.version}"
            cells.append(f"{metric.label}={value}")
        click.echo(f"{team.code}\t" + "\t".join(cells))


def init_app(app):
    app.cli.add_command(targets_cli)
