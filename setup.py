"""What pyproject.toml cannot say: the package list, found, plus the top-level ``resources/``
folder (the source assets: icon, desktop entry, metainfo) installed as the package's
``onsembl_desktop/resources`` — setuptools' package-dir maps it there without a copy in the tree,
so wheels and the frozen bundle (which collects the installed package's files) carry it."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["onsembl_desktop*"]), "onsembl_desktop.resources"],
    package_dir={"onsembl_desktop.resources": "resources"},
)
