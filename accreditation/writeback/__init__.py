"""Evidence written back to the LMS through the core's outbox: Canvas rubric assessments whose
criteria are aligned to the course's outcomes, and Moodle competency ratings in a course."""
