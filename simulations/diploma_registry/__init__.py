"""The emulated Diploma Registry: a legacy SOAP 1.1 service that takes and answers documents
as attachment parts, in MTOM/XOP or SOAP with Attachments."""
