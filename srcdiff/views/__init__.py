"""Teaching views of a derivative: what its code computes, shown beside the user's source.

They sit above the driver, which makes the code they show, and below the API and the
command line, which expose them: value traces (``trace``), graph pictures with the local
partial derivatives on the edges (``graph``), gradient checks against finite differences
(``check``), and the side-by-side page (``page``).
"""
