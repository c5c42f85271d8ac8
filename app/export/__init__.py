"""Publishing the catalog and the data in CSV, XML, JSON and RDF."""
