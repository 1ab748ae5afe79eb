"""The scheduler's behaviour, step by step (tests/core/steps.py says how to read a scenario).

Timing in every scenario: a 60 s grace period, 10 s for an agent to confirm a stop, and the
time-limit backstop 2 s after the agent's own limit. The database behind each is a real SQLite
file written through the same queries as the app's writer; ``restart`` rebuilds from it.
"""

from __future__ import annotations

import pytest

from .steps import run_scenario

SCENARIOS = {
    # --- queues -----------------------------------------------------------------------------------
    "an agent runs one command at a time; the next starts when it ends": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a                  | c2@a QUEUED
        queue a                       | c1 / c2
        ack a c1                      |
        complete a c1                 | c1@a COMPLETED ; c2@a EXECUTING ; a <- c2
        complete a c2 FAILED          | c2@a FAILED ; audit COMMAND_FAILED
        queue a                       | - / -
    """,
    "waiting: by priority, then arrival; a newcomer never overtakes its priority or higher": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a prio=10          | c2@a QUEUED
        send c3 -> a prio=90          | c3@a QUEUED
        send c4 -> a prio=50          | c4@a QUEUED
        send c5 -> a prio=90          | c5@a QUEUED
        queue a                       | c1 / c3 c5 c4 c2
        move c2 1                     | audit QUEUE_MOVED
        queue a                       | c1 / c2 c3 c5 c4
        send c6 -> a prio=60          | c6@a QUEUED
        queue a                       | c1 / c2 c3 c5 c6 c4
        send c7 -> a prio=95          | c7@a QUEUED
        send c8 -> a prio=5           | c8@a QUEUED
        queue a                       | c1 / c7 c2 c3 c5 c6 c4 c8
        move c2 99                    | audit QUEUE_MOVED
        queue a                       | c1 / c7 c3 c5 c6 c4 c8 c2
        priority c4 95                | audit QUEUE_MOVED
        queue a                       | c1 / c7 c4 c3 c5 c6 c8 c2
        complete a c1                 | c1@a COMPLETED ; c7@a EXECUTING ; a <- c7
    """,
    "a command for several agents: one run each, its status their aggregate": """
        start a b c
        connect a
        connect b
        send c1 -> a,b,c              | c1@a QUEUED ; c1@b QUEUED ; c1@c QUEUED ; c1@a EXECUTING
                                      | a <- c1 ; c1@b EXECUTING ; b <- c1
        status c1                     | EXECUTING
        complete a c1                 | c1@a COMPLETED
        complete b c1 FAILED          | c1@b FAILED ; audit COMMAND_FAILED
        status c1                     | QUEUED
        connect c                     | c1@c EXECUTING ; c <- c1
        complete c c1                 | c1@c COMPLETED
        status c1                     | FAILED
    """,
    "an offline agent's command waits for it, unless asked to fail at once": """
        start a
        send c1 -> a                  | c1@a QUEUED
        send c2 -> a offline-fails    | c2@a FAILED ; audit COMMAND_FAILED
        queue a                       | - / c1
        connect a                     | c1@a EXECUTING ; a <- c1
    """,
    "moving: only a waiting command, and the queue named when it waits in several": """
        start a b
        connect a
        connect b
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> b                  | c2@b QUEUED ; c2@b EXECUTING ; b <- c2
        send c3 -> a,b                | c3@a QUEUED ; c3@b QUEUED
        move c1 1                     | ! the command is already running on a; cancel it instead
        move c3 1                     | ! the command waits in several queues (a, b): name the agent
        move c3 1 b                   | audit QUEUE_MOVED
        priority c3 101               | ! priority must be between 0 and 100, not 101
        complete a c1                 | c1@a COMPLETED ; c3@a EXECUTING ; a <- c3
        move c1 1                     | ! no open command c1
    """,
    "a refused request fails the run and the queue moves on": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a                  | c2@a QUEUED
        ack a c1 refused=agent_paused | c1@a FAILED ; audit COMMAND_FAILED ; c2@a EXECUTING
                                      | a <- c2
    """,
    # --- cancels ----------------------------------------------------------------------------------
    "a waiting command leaves the queue; an executing one is stopped by its agent": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a                  | c2@a QUEUED
        send c3 -> a                  | c3@a QUEUED
        cancel c2                     | c2@a CANCELLED CANCELLED ; audit COMMAND_CANCELLED
        cancel c1@a                   | a <- cancel c1 CANCELLED ; timer STOP_CONFIRM c1@a +10
                                      | audit COMMAND_CANCELLED
        queue a                       | c1 / c3
        complete a c1 CANCELLED reason=CANCELLED | untimer STOP_CONFIRM c1@a
                                      | c1@a CANCELLED CANCELLED ; c3@a EXECUTING ; a <- c3
    """,
    "a stop not confirmed is closed after 10 s; a second stop keeps the first's deadline": """
        start a
        connect a
        send c1 -> a limit=60000      | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
                                      | timer TIME_LIMIT c1@a +62
        send c2 -> a                  | c2@a QUEUED
        cancel c1                     | untimer TIME_LIMIT c1@a ; a <- cancel c1 CANCELLED
                                      | timer STOP_CONFIRM c1@a +10 ; audit COMMAND_CANCELLED
        wait 6                        |
        stop-all                      | a <- cancel c1 EMERGENCY_STOP ; a <- PAUSE
                                      | audit EMERGENCY_STOP ; save halted paused=a
        wait 3.9                      |
        status c1                     | EXECUTING
        wait 0.1                      | c1@a CANCELLED EMERGENCY_STOP
        status c1                     | CANCELLED
        queue a                       | - / c2
    """,
    "a cancel to an agent that is away closes the run at once": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        gone a                        | timer GRACE c1@a +60
        cancel c1                     | untimer GRACE c1@a ; c1@a CANCELLED CANCELLED
                                      | audit COMMAND_CANCELLED
        connect a holds=c1            | a drops c1
    """,
    "a cancel lost with the connection is said again when the agent returns": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        cancel c1                     | a <- cancel c1 CANCELLED ; timer STOP_CONFIRM c1@a +10
                                      | audit COMMAND_CANCELLED
        gone a                        | timer GRACE c1@a +60
        wait 2
        connect a holds=c1            | untimer GRACE c1@a ; a <- cancel c1 CANCELLED
        wait 8                        | c1@a CANCELLED CANCELLED
    """,
    "a stopped command the returning agent no longer has is done": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        cancel c1                     | a <- cancel c1 CANCELLED ; timer STOP_CONFIRM c1@a +10
                                      | audit COMMAND_CANCELLED
        gone a                        | timer GRACE c1@a +60
        connect a new                 | untimer GRACE c1@a ; untimer STOP_CONFIRM c1@a
                                      | c1@a CANCELLED CANCELLED
    """,
    # --- disconnects ------------------------------------------------------------------------------
    "back within the grace period: the command goes on": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        ack a c1
        gone a                        | timer GRACE c1@a +60
        wait 59
        connect a holds=c1            | untimer GRACE c1@a
        wait 120
        complete a c1                 | c1@a COMPLETED
    """,
    "away longer: the command fails, and the returning agent drops it and takes the next": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a                  | c2@a QUEUED
        ack a c1
        gone a                        | timer GRACE c1@a +60
        wait 60                       | c1@a FAILED AGENT_LOST ; audit COMMAND_FAILED
        status c2                     | QUEUED
        connect a holds=c1            | a drops c1 ; c2@a EXECUTING ; a <- c2
    """,
    "a request lost with the connection is sent again to the same agent process": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a prio=90          | c2@a QUEUED
        gone a                        | timer GRACE c1@a +60
        connect a                     | untimer GRACE c1@a ; c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        queue a                       | c1 / c2
    """,
    "a new agent process does not have the old one's command: it is lost": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        ack a c1
        gone a                        | timer GRACE c1@a +60
        connect a new                 | untimer GRACE c1@a ; c1@a FAILED AGENT_LOST
                                      | audit COMMAND_FAILED
    """,
    "commands the agent holds that are not its own are dropped": """
        start a b
        connect b
        send c1 -> b                  | c1@b QUEUED ; c1@b EXECUTING ; b <- c1
        connect a holds=c1            | a drops c1
    """,
    "an agent told to stop or restart gets no new work on that connection": """
        start a
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a                  | c2@a QUEUED
        leaving a
        complete a c1 CANCELLED reason=AGENT_STOPPED | c1@a CANCELLED AGENT_STOPPED
        queue a                       | - / c2
        gone a
        connect a                     | c2@a EXECUTING ; a <- c2
    """,
    # --- limits -----------------------------------------------------------------------------------
    "the time-limit backstop stops a run its agent lets overrun": """
        start a
        connect a
        send c1 -> a limit=1000       | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
                                      | timer TIME_LIMIT c1@a +3
        wait 2.9
        wait 0.1                      | a <- cancel c1 TIME_LIMIT_EXCEEDED
                                      | timer STOP_CONFIRM c1@a +10
        wait 10                       | c1@a FAILED TIME_LIMIT_EXCEEDED ; audit COMMAND_FAILED
                                      | audit TIME_LIMIT_EXCEEDED
    """,
    "the time limit goes on counting while the agent is away": """
        start a
        connect a
        send c1 -> a limit=3000       | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
                                      | timer TIME_LIMIT c1@a +5
        ack a c1
        wait 1
        gone a                        | timer GRACE c1@a +60
        wait 4                        | untimer GRACE c1@a ; c1@a FAILED TIME_LIMIT_EXCEEDED
                                      | audit COMMAND_FAILED ; audit TIME_LIMIT_EXCEEDED
    """,
    "a token budget's backstop acts on the report that exceeds it": """
        start a
        connect a
        send c1 -> a budget=500       | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        usage a c1 500                |
        usage a c1 501                | a <- cancel c1 TOKEN_LIMIT_EXCEEDED
                                      | timer STOP_CONFIRM c1@a +10
        usage a c1 900                |
        complete a c1 FAILED reason=TOKEN_LIMIT_EXCEEDED | untimer STOP_CONFIRM c1@a
                                      | c1@a FAILED TOKEN_LIMIT_EXCEEDED ; audit COMMAND_FAILED
                                      | audit TOKEN_LIMIT_EXCEEDED
    """,
    # --- pauses and the emergency stop ------------------------------------------------------------
    "a paused queue starts nothing; its agent is told now or when it connects": """
        start a b
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        send c2 -> a                  | c2@a QUEUED
        pause a                       | a <- PAUSE ; save paused=a
        pause b                       | save paused=a,b
        complete a c1                 | c1@a COMPLETED
        queue a                       | - / c2
        connect b                     | b <- PAUSE ; save paused=a,b
        resume a                      | a <- RESUME ; c2@a EXECUTING ; a <- c2 ; save paused=b
    """,
    "the emergency stop stops every executing run and pauses every queue, also later ones": """
        start a b c
        connect a
        connect b
        send c1 -> a,b,c              | c1@a QUEUED ; c1@b QUEUED ; c1@c QUEUED ; c1@a EXECUTING
                                      | a <- c1 ; c1@b EXECUTING ; b <- c1
        send c2 -> a                  | c2@a QUEUED
        gone b                        | timer GRACE c1@b +60
        stop-all                      | a <- cancel c1 EMERGENCY_STOP ; timer STOP_CONFIRM c1@a +10
                                      | untimer GRACE c1@b ; c1@b CANCELLED EMERGENCY_STOP
                                      | a <- PAUSE ; audit EMERGENCY_STOP ; save halted paused=a,b,c
        complete a c1 CANCELLED reason=EMERGENCY_STOP | untimer STOP_CONFIRM c1@a
                                      | c1@a CANCELLED EMERGENCY_STOP
        queue a                       | - / c2
        connect d                     | d <- PAUSE ; save halted paused=a,b,c,d
        send c3 -> d                  | c3@d QUEUED
        connect c                     | c <- PAUSE ; save halted paused=a,b,c,d
        resume d                      | d <- RESUME ; c3@d EXECUTING ; d <- c3
                                      | save halted paused=a,b,c
        resume-all                    | a <- RESUME ; c <- RESUME ; audit QUEUE_RESUMED
                                      | c2@a EXECUTING ; a <- c2 ; c1@c EXECUTING ; c <- c1
                                      | save paused=-
    """,
    # --- restarts ---------------------------------------------------------------------------------
    "queues come back in the same order after a restart, and each runs once": """
        start a b
        connect a
        send c1 -> a                  | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
        ack a c1
        send c2 -> a
        send c3 -> a prio=90
        send c4 -> a
        move c4 1
        send c5 -> b
        queue a                       | c1 / c4 c3 c2
        restart                       | timer GRACE c1@a +60
        queue a                       | c1 / c4 c3 c2
        queue b                       | - / c5
        connect a holds=c1            | untimer GRACE c1@a
        complete a c1                 | c1@a COMPLETED ; c4@a EXECUTING ; a <- c4
        restart                       | timer GRACE c4@a +60
        connect a                     | untimer GRACE c4@a ; c4@a QUEUED ; c4@a EXECUTING ; a <- c4
        ack a c4
        restart                       | timer GRACE c4@a +60
        connect a new                 | untimer GRACE c4@a ; c4@a FAILED AGENT_LOST
                                      | audit COMMAND_FAILED ; c3@a EXECUTING ; a <- c3
        queue a                       | c3 / c2
    """,
    "pauses and the emergency stop survive a restart; one resumed by hand stays so": """
        start a b
        pause b                       | save paused=b
        stop-all                      | audit EMERGENCY_STOP ; save halted paused=a,b
        resume a                      | save halted paused=b
        send c1 -> a
        send c2 -> b
        restart                       |
        connect a                     | c1@a EXECUTING ; a <- c1
        connect b                     | b <- PAUSE ; save halted paused=b
        connect c                     | c <- PAUSE ; save halted paused=b,c
        resume-all                    | b <- RESUME ; c <- RESUME ; audit QUEUE_RESUMED
                                      | c2@b EXECUTING ; b <- c2 ; save paused=-
    """,
    "a restored run keeps its time limit from when it started": """
        start a
        connect a
        send c1 -> a limit=30000      | c1@a QUEUED ; c1@a EXECUTING ; a <- c1
                                      | timer TIME_LIMIT c1@a +32
        wait 20
        restart                       | timer GRACE c1@a +60 ; timer TIME_LIMIT c1@a +12
        wait 12                       | untimer GRACE c1@a ; c1@a FAILED TIME_LIMIT_EXCEEDED
                                      | audit COMMAND_FAILED ; audit TIME_LIMIT_EXCEEDED
    """,
    # --- refusals ---------------------------------------------------------------------------------
    "requests that cannot be sent as asked": """
        start a
        send c1 -> a text=__          | ! the command is empty
        send c1 -> a prio=101         | ! priority must be between 0 and 100, not 101
    """,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str) -> None:
    run_scenario(SCENARIOS[name])
