"""Group robots (企业微信群机器人, 钉钉自定义机器人): a second outbox channel (issue 22).

Entry modules (what web, CLI, jobs and other services call):
    queue     Notice and enqueue: what other services hand to the robots
    delivery  send what is due, with the outbox's guarantees (as services.mail.delivery)
    manage    create, edit, disable, delete a robot; send a test message (the write path)
    listing   the robots a user sees and manages, their masked URLs, the robot outbox
    decisions a person's decision on a message in doubt: resend, confirmed delivered
    digest    the weekly markdown digest per task force and for the city
    settings  the robot settings handed to the services
Internal: transport (the HTTP POST and how each answer is judged).
"""
