"""`serviq generate`: a simulated bank/insurer contact centre and back office.

Writes landing files in the formats of
`pipelines/sources/builtin/serviq_generator.yml` plus `truth.json`, the
planted parameters and the generator's own realised counts, so that tests
can check the warehouse recovers what was planted.

    from pipelines.generate import GeneratorParams, generate
    truth = generate(GeneratorParams(days=14, contacts_per_day=2000), Path("var/landing"))
"""

from pipelines.generate.core import generate
from pipelines.generate.params import GeneratorParams

__all__ = ["GeneratorParams", "generate"]
