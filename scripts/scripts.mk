# scripts/scripts.mk - the structure stage (scripts/structure.lua), installed
# with the other scripts so that a configuration can name it as
# script = "structure.lua", and its tests.

structuredir = $(pkgdatadir)/scripts
dist_structure_DATA = scripts/structure.lua
# The topic stage and its taxonomy (docs/topics.md).
dist_structure_DATA += scripts/topics.lua scripts/topics_taxonomy.lua
dist_doc_DATA += docs/topics.md
TESTS += tests/test_topics.sh
EXTRA_DIST += tests/test_topics.sh

dist_doc_DATA += docs/structure.md

TESTS += tests/test_structure.sh
EXTRA_DIST += tests/test_structure.sh \
	tests/fixtures/structure/motion-pdf.txt \
	tests/fixtures/structure/resolution-html.txt \
	tests/fixtures/structure/joined.txt \
	tests/fixtures/structure/article.txt
