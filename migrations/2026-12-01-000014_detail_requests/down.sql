DROP TABLE case_shares;
DROP TABLE detail_requests;
