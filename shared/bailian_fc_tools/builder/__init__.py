"""Building FC code dirs: ``s.yaml`` read into a manifest, each function's dir assembled from the runtime
package and its wheels, slimmed (stripped binaries, lazy package roots, precompiled imports), and its
eager import graph checked against the dir. The output ships ``bailian_fc`` only, never this package.
"""
