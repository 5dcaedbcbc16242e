"""Pure metric functions: Session or DataFrames in, tidy DataFrames out.

Times in outputs follow one scheme, in milliseconds after the start of the row's navigation:

- ``at_ms``: when the row's event happened (a console message, an input, a screenshot, a
  layout shift, an LCP candidate);
- ``start_ms`` / ``end_ms``: the two ends of a span (a request);
- ``<milestone>_ms``: a named moment of a navigation (``load_ms``, ``dom_content_loaded_ms``,
  ``lcp_ms``, ``first_input_ms``), or of a group of rows (``first_ms``: its first event).

Lengths, not moments, are named for what they measure: ``duration_ms``, ``delay_ms``,
``input_latency_ms``, ``response_ms``, ``ttfb_upper_ms``.
"""
