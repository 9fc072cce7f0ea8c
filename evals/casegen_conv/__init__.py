"""Fourth, independent case generator imitating a programmatic dataset converter.

It maps two kinds of research data (a train-ticket-like Java microservice fault benchmark
and an AWS pet-adoption RCA dataset) into the incident-case format with the arbitrary,
least-effort choices a converter author would make, so evaluation on it says something
about cases the ranking was never tuned on.
"""
