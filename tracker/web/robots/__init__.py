"""群机器人 pages: the robots per team and the bureau's, new/edit/停用/delete, 发送测试消息, and
the robot messages of the outbox with 重发 / 确认送达 for the ones in doubt."""
from .views import bp  # noqa: F401
