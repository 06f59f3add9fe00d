"""Annual targets (年度目标) of the task forces and the counties' funds goals.

Entry modules:
    annual    the task forces' target versions, set and read
    entry     the target page's form handling (confirmation of low targets)
    shares    the quarterly checkpoint shares
    counties  the counties' funds goals and bases
    inputs    years, amounts and reasons checked for every target write (forms and CLI)
"""
