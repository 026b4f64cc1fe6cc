"""Apache Spark as the build engine (issue 10): session, sources, build, export back."""
