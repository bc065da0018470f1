"""Renderings of results and plans: text (rich), JSON, Markdown, JUnit XML, SARIF. One module per kind of result."""
