"""A study plan to an interview date: pure rules over the log, the settings and the clock.

Nothing here reads the database or the clock: topics come in as their logs, dates and ``now`` as
parameters, so a plan can always be recomputed and every move it makes explained.

- ``calendar``: the plan's settings (interview date, daily target, Easy Days, breaks) and the
  capacity of each day they give.
- ``engine``: ``build_plan`` places every review of the coming weeks: within its allowed window,
  on the lightest day, out of breaks, spread after a gap, and before the interview where that
  keeps a topic's recall on the day at the desired retention (``deadline`` holds those rules).
- ``pace``: whether the remaining topics fit before the date at the learner's own pace, and what
  to compress when they do not.
- ``forecast``: reviews and minutes per day ahead, and a predicted-recall curve.
"""
