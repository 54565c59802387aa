"""Route modules, one per resource and named for it; each only translates HTTP to a call of its
area's use case (``torekes.<area>``) and back, with the schemas of ``torekes.api.schemas``."""
