"""LHEO 2.3: the streamed export, its XSD validation, the LHEO 2.2/2.3 import, the Ofaa file.

- ``storage.lheo.export``: ``write_lheo`` (a stream, one ``<formation>`` per action), ``LheoWriter``;
  ``storage.lheo.formation`` the text of one ``<formation>``, ``storage.lheo.xml_text`` escaping.
- ``storage.lheo.validate``: ``validate_lheo`` (streamed XSD validation, errors per action) and
  ``export_lheo`` (write to a temporary file, validate, ``os.replace``).
- ``storage.lheo.import_``: ``read_lheo`` (secure parser, all-or-nothing drafts);
  ``storage.lheo.xml_input`` the locked-down parsing and value readers, ``storage.lheo.drafts``
  the mapping to drafts.
- ``storage.lheo.ofaa``: ``read_ofaa_csv`` (France Travail references).
"""
