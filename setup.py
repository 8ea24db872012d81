from setuptools import find_packages, setup

setup(
    name="adinfer",
    version="0.1.0",
    description="Adversarial inference in TensorFlow 2: the successor of Edward's GAN "
    "inferences and TF-GAN.",
    long_description=open("README.md").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["adinfer", "adinfer.*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.16",
        "tensorflow-probability[tf]>=0.24",
        "numpy",
        # tf.summary's scalar/histogram ops live in tensorboard, which TF >= 2.20
        # no longer installs; `logdir` needs them.
        "tensorboard",
    ],
    extras_require={
        # pytest-xdist: the suite runs in 2 worker processes (-n 2), 1.4x faster on
        # 2 cores than in one (README, Tests).
        "test": [
            "pytest",
            "pytest-xdist",
            "scipy",
            "scikit-learn",
            "matplotlib",
            "hypothesis",
            "ruff",
            "prdc",
        ],
        "examples": ["matplotlib", "scikit-learn"],
        # Contender (f) of benchmarks/speed.py; this version is the CPU build the
        # figures in benchmarks/RESULTS.md were measured with.
        "bench": ["torch==2.13.0"],
    },
)
