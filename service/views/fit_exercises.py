"""Our lifts (scheduler.exercises) in the FIT exercise catalogue: the category and exercise a
watch shows with its own name and animation. A lift the catalogue has no entry for (the
Nordic curl, the Pallof press, pogo hops, bounding) is written by name and reps alone."""

from __future__ import annotations

from garmin_fit_sdk import Profile

from scheduler import exercises as ours

# Our lift -> (FIT exercise_category, the exercise's name in that category's list).
CATALOGUE: dict[str, tuple[str, str]] = {
    ours.DEADLIFT.name: ("deadlift", "trap_bar_deadlift"),
    ours.SPLIT_SQUAT.name: ("squat", "dumbbell_split_squat"),
    ours.STRAIGHT_CALF.name: ("calf_raise", "standing_calf_raise"),
    ours.FRONT_SQUAT.name: ("squat", "barbell_front_squat"),
    ours.STEP_UP.name: ("squat", "step_up"),
    ours.RDL.name: ("deadlift", "romanian_deadlift"),
    ours.BENT_CALF.name: ("calf_raise", "seated_calf_raise"),
    ours.LATERAL_HIP.name: ("hip_stability", "side_lying_leg_raise"),
    ours.CHEST_PRESS.name: ("bench_press", "dumbbell_bench_press"),
    ours.ROW.name: ("row", "dumbbell_row"),
    ours.PUSH.name: ("push_up", "push_up"),
    ours.PLANK.name: ("plank", "plank"),
    ours.SIDE_PLANK.name: ("plank", "side_plank"),
    ours.DEAD_BUG.name: ("hip_stability", "dead_bug"),
}


def _number(type_name: str, value: str) -> int:
    """The number the FIT profile gives `value` in its type `type_name`; KeyError when the
    profile has no such value (a catalogue entry the SDK dropped fails loudly)."""
    table: dict[int, str] = Profile["types"][type_name]
    for number, name in table.items():
        if name == value:
            return number
    raise KeyError(f"{value} is not a FIT {type_name}")


def fit_exercise(name: str) -> tuple[int, int] | None:
    """(exercise_category, exercise_name) as FIT numbers for our lift `name`, None when the
    catalogue has no such exercise."""
    entry = CATALOGUE.get(name)
    if entry is None:
        return None
    category, exercise = entry
    return _number("exercise_category", category), _number(f"{category}_exercise_name", exercise)
