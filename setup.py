from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


setup(
    name='mmssmd',
    version='0.1.0',
    description='SSMD: semi-supervised medical image detection on MMDetection 3.x',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'demo')),
    python_requires='>=3.8',
    license='Apache License 2.0',
    zip_safe=False,
)
