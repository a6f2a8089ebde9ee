DROP TABLE report_routes;
DROP TABLE provinces;
