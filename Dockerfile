# The grader in a container: the course installed as a package (answer key included) and
# bubblewrap for its sandbox. docker build -t convlib-grader .
#   docker run --rm --privileged -v "$PWD/class:/class:ro" -v "$PWD/out:/out" convlib-grader \
#       convlib-grade /class --out /out/grades.csv --by-learner /out/learners.csv --feedback /out/feedback \
#       --canvas /out/canvas.csv --moodle /out/moodle --similarity /out/similar.csv
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md /src/
COPY convlib /src/convlib
COPY solutions /src/solutions
# the answer key (solutions and the exercises' references) readable by the grader (root) only: where
# bubblewrap cannot make namespaces, the learners' code runs as other uids on this same file system
RUN pip install --no-cache-dir /src && rm -rf /src \
    && chmod -R go-rwx "$(python -c 'import convlib, os; print(os.path.dirname(convlib.__file__))')"
WORKDIR /work
CMD ["convlib-grade", "--help"]
