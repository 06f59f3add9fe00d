"""flask commands: ``targets defaults [--year YYYY] [--overwrite [--yes]]``,
``targets show [--year YYYY]`` (money in 亿元, counts in 个, as on the target pages)."""
import click
from flask.cli import AppGroup

targets_cli = AppGroup("targets", help="Annual targets (年度目标) of the task forces.")


def _year(value):
    from .. import clock
    from ..services.targets.inputs import check_year
    if value is None:
        return clock.today().year
    errors = {}
    year = check_year(value, errors)
    if year is None:
        raise click.BadParameter(errors["year"], param_hint="--year")
    return year


@targets_cli.command("defaults")
@click.option("--year", help="Target year (default: this year).")
@click.option("--overwrite", is_flag=True, help="Replace targets already set.")
@click.option("--yes", is_flag=True, help="With --overwrite: do not ask before replacing.")
def defaults(year, overwrite, yes):
    """Give every active task force the default targets for the year.

    With --overwrite, the revised targets it would replace are listed first (亿元) and
    nothing is written until that is confirmed."""
    from ..domain.errors import ValidationError
    from ..domain.targets import NeedsConfirmation
    from ..services.targets import annual
    year = _year(year)
    reason = "命令行：应用默认目标（覆盖）" if overwrite else "命令行：应用默认目标"
    try:
        try:
            written = annual.apply_defaults(year, None, overwrite=overwrite, reason=reason)
        except NeedsConfirmation as exc:
            click.echo(exc.errors["__all__"])
            for item in exc.items:
                click.echo(f"  {item['task_force']} {item['task_force_name']}\t{item['label']}"
                           f"\tv{item['version']} {_amount(item['current'], item['is_money'])}"
                           f" -> {_amount(item['default'], item['is_money'])}")
            if not yes:
                click.confirm("确认覆盖？", abort=True)
            written = annual.apply_defaults(year, None, overwrite=True, reason=reason,
                                             confirm=exc.token)
    except ValidationError as exc:
        raise click.ClickException("；".join(exc.errors.values())) from exc
    click.echo(f"{year} 年：新增 {written} 个目标版本。")


def _amount(value, is_money):
    from ..domain import money
    return f"{money.fmt_yi(value)}亿元" if is_money else f"{int(value)}个"


@targets_cli.command("show")
@click.option("--year", help="Target year (default: this year).")
def show(year):
    """Print the current target of every active task force and metric (money in 亿元)."""
    from ..domain import metrics as M
    from ..services.targets import annual
    year = _year(year)
    click.echo(f"{year} 年目标（金额单位：亿元；洽谈项目单位：个）")
    for team, current in annual.target_table(year):
        cells = []
        for key, metric in M.METRICS.items():
            row = current.get(key)
            value = "-" if row is None or row.value is None else \
                f"{_amount(row.value, metric.is_money)} v{row.version}"
            cells.append(f"{metric.label}={value}")
        click.echo(f"{team.code}\t" + "\t".join(cells))


def init_app(app):
    app.cli.add_command(targets_cli)
